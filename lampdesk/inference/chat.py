"""The model's own chat template: how messages become the prompt text, and where a turn ends."""

from __future__ import annotations

from typing import Any

Message = dict[str, str]

#: For a model file without a template: ChatML is the most common convention.
CHATML_TEMPLATE = (
    "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n"
    "{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)


def chat_formatter(llama: Any) -> Any:
    """The model's own chat template as a llama-cpp-python formatter."""
    from llama_cpp import llama_chat_format

    template = llama.metadata.get("tokenizer.chat_template") or CHATML_TEMPLATE
    eos = _special_text(llama, llama.token_eos())
    bos = _special_text(llama, llama.token_bos())
    return llama_chat_format.Jinja2ChatFormatter(template=template, eos_token=eos, bos_token=bos)


def end_of_turn(llama: Any) -> list[str]:
    """The stop strings of a completion: the text of the model's end-of-sequence token."""
    return [_special_text(llama, llama.token_eos())]


def _special_text(llama: Any, token: int) -> str:
    return str(llama.detokenize([token], special=True).decode("utf-8", "ignore"))
