"""Instruction prompts, the same for training and generation: the chat template when the tokenizer has one."""

from __future__ import annotations

PLAIN_TEMPLATE = "Instruction: {instruction}\nResponse: "


def has_chat_template(tokenizer) -> bool:
    return tokenizer is not None and bool(getattr(tokenizer, "chat_template", None))


def format_prompt(instruction: str, tokenizer=None) -> str:
    """What the model is prompted with: the tokenizer's chat template (a user turn, generation prompt added) when it has one, else PLAIN_TEMPLATE."""
    if has_chat_template(tokenizer):
        return tokenizer.apply_chat_template([{"role": "user", "content": instruction}], tokenize=False, add_generation_prompt=True)
    return PLAIN_TEMPLATE.format(instruction=instruction)


def format_example(instruction: str, text: str, tokenizer=None) -> str:
    """A training example: exactly the generation prompt, then the text.

    Built as prompt + text rather than by rendering an assistant turn, because some chat
    templates render past turns differently from the generation prompt; this way training
    and generation see the same prefix by construction. No EOS here: training.fine_tune
    appends the EOS token id to every example.
    """
    return format_prompt(instruction, tokenizer) + text


def format_examples(texts, instructions, tokenizer=None) -> list[str]:
    """Each text after its own instruction (one per text)."""
    return [format_example(i, t, tokenizer) for i, t in zip(instructions, texts)]
