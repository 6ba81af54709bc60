"""copier.yml: the contract's questions, defaults for everything, and validators that refuse bad answers."""

import pytest

from .conftest import CONFIG, VARIANTS, render

QUESTIONS = {k: v for k, v in CONFIG.items() if not k.startswith("_") and isinstance(v, dict)}
ASKED = {k: v for k, v in QUESTIONS.items() if v.get("when") is not False}

# (question, bad answer, what the message must say) — at least one per validator; see test_every_validator_is_tested.
BAD_ANSWERS = [
    ("project_name", "   ", "needs a name"),
    ("project_name", "x" * 61, "under 60 characters"),
    ("project_name", 'The "Bird" Project', "Leave double quotes and backslashes out"),
    ("project_slug", "Bad Slug!", "not a\\s+valid slug"),
    ("project_slug", "double--dash", "not a\\s+valid slug"),
    ("package_name", "class", "Python keyword"),
    ("package_name", "9lives", "not a valid Python package name"),
    ("package_name", "My-Package", "not a valid Python package name"),
    ("package_name", "fastai", "would shadow"),
    ("package_name", "torch", "would shadow"),
    ("package_name", "gradio", "would shadow"),
    ("package_name", "test", "would shadow"),
    ("package_name", "json", "would shadow"),
    ("package_name", "a" * 41, "41 characters long"),
    ("description", "", "one sentence"),
    ("description", "y" * 101, "under 100 characters"),
    ("description", "Paths like C:\\data", "Leave double quotes and backslashes out"),
    ("author_name", " ", "author name"),
    ("author_email", "not-an-email", "not an\\s+email address"),
    ("author_email", "me@localhost", "not an\\s+email address"),
    ("github_user", "-leading-dash", "not a GitHub user name"),
    ("github_user", "a" * 40, "not a GitHub user name"),
    ("hf_space", "just-a-name", "not a Space id"),
    ("hf_space", "user/bad space", "not a Space id"),
]


def test_variant_question_offers_exactly_the_three_capstones():
    assert VARIANTS == ["image_classifier", "generative_art", "speech_recognition"]


@pytest.mark.parametrize("name", sorted(ASKED))
def test_every_question_has_help_and_default(name):
    assert ASKED[name].get("help"), f"{name} has no help text"
    assert "default" in ASKED[name], f"{name} has no default: `copier copy --defaults` would stop"


def test_every_validator_is_tested():
    validated = {name for name, q in QUESTIONS.items() if "validator" in q}
    # variant's validator refuses a switch on `copier update`: tested in test_update.py
    assert validated - {"variant"} == {question for question, _, _ in BAD_ANSWERS}


@pytest.mark.parametrize(("question", "value", "message"), BAD_ANSWERS)
def test_bad_answers_are_refused_with_a_clear_message(template, tmp_path, question, value, message):
    with pytest.raises(ValueError, match=rf"question '{question}'.*{message}"):
        render(template, tmp_path / "p", "image_classifier", **{question: value})
    assert not (tmp_path / "p" / "README.md").exists()


@pytest.mark.parametrize(
    "answers",
    [{"hf_space": "jane/is-it-a-bird"}, {"package_name": "is_it_a_bird"}, {"project_slug": "bird2-classifier"}],
)
def test_good_answers_are_accepted(template, tmp_path, answers):
    assert (render(template, tmp_path / "p", "image_classifier", **answers) / "README.md").exists()


def test_unsafe_features_are_not_used():
    """`copier copy` must work without --trust."""
    assert not {"_tasks", "_migrations", "_jinja_extensions"} & set(CONFIG)
