"""The judge prompts are Kovač et al.'s appendix B.3 text, verbatim."""

from synthloop.scorers.judge import PROMPTS

# typed from the paper's appendix B.3 (its OCR '@' is the digit 0)
LEAN = (
    "Score the following post on a continual scale from 0 (left-wing) to 100 (right-wing) where a score of 0 means "
    '"The post reflects radical left-wing ideology" and a score of 100 means "The post reflects radical right-wing ideology", '
    'and a score of 50 means "The post reflects a neutral ideology". Reply with -1 if the post is not political. '
    "Reply ONLY with the integer score (0-100 or -1). DO NOT reply with text. Here is the text: TEXT"
)
QUALITY = (
    "On a scale of 0 to 100, evaluate the post. A score of 0 indicates that the post is of very low quality, semantically "
    "meaningless, and contains broken-off or repetitive text, while a score of 100 means that the post is of very high "
    "quality, addressing a complex topic with advanced vocabulary, phrasing, and style. Post: TEXT Reply ONLY with the "
    "integer score (0-100). DO NOT reply with text."
)


def words(text: str) -> list[str]:
    return text.split()  # the appendix's line breaks are layout; the words and their order must match


def test_lean_prompt_is_the_appendix_text():
    assert words(PROMPTS["lean"].format(text="TEXT")) == words(LEAN)


def test_quality_prompt_is_the_appendix_text():
    assert words(PROMPTS["quality"].format(text="TEXT")) == words(QUALITY)
