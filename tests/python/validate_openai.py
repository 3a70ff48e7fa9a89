"""Validates Apprentice OpenAI exports with the openai SDK's own types.

Usage: validate_openai.py ITEMS.json... CHAT.jsonl ; exits non-zero, naming the problem, if any
file fails. Items documents: the computer tool, every input item as a ResponseInputItemParam, and
every computer_call as a ResponseComputerToolCall (action fields the SDK does not know are
errors). Chat lines: every message as a ChatCompletionMessageParam, the tools, and each tool
call's arguments as a computer action.
"""
import json
import sys
from typing import List

from pydantic import TypeAdapter

from report import run

from openai.types.chat import ChatCompletionMessageParam, ChatCompletionToolParam
from openai.types.responses import ComputerToolParam, ComputerUsePreviewToolParam, EasyInputMessageParam, ResponseComputerToolCall, ResponseComputerToolCallParam, ResponseInputItemParam
from openai.types.responses.response_input_item_param import ComputerCallOutput
from openai.types.responses.response_computer_tool_call import Action

ACTION = TypeAdapter(Action)


def check_action(action, width=None, height=None):
    model = ACTION.validate_python(action)
    unknown = set(action) - set(type(model).model_fields)
    if unknown:
        raise ValueError(f"{action['type']}: fields the SDK does not know: {unknown}")
    points = [action] if "x" in action else action.get("path", [])
    for p in points:
        if width is not None and not (0 <= p["x"] < width and 0 <= p["y"] < height):
            raise ValueError(f"{action['type']}: ({p['x']}, {p['y']}) outside the declared {width}x{height} display")


def validate_items(path):
    doc = json.load(open(path))
    tool = doc["tools"][0]
    TOOLS = {"computer_use_preview": ComputerUsePreviewToolParam, "computer": ComputerToolParam}
    TypeAdapter(TOOLS[tool["type"]]).validate_python(tool)
    # Each item as the specific param type it claims to be (clear errors), then as an input item.
    specific = {"computer_call": ResponseComputerToolCallParam, "computer_call_output": ComputerCallOutput}
    for i, item in enumerate(doc["input"]):
        kind = TypeAdapter(specific.get(item.get("type"), EasyInputMessageParam))
        try:
            kind.validate_python(item)
        except Exception as e:
            raise ValueError(f"input[{i}] ({item.get('type', 'message')}): {e}")
    TypeAdapter(List[ResponseInputItemParam]).validate_python(doc["input"])
    calls = 0
    for item in doc["input"]:
        if item.get("type") == "computer_call":
            ResponseComputerToolCall.model_validate(item)
            check_action(item["action"], tool["display_width"], tool["display_height"])
            calls += 1
    outputs = {i["call_id"] for i in doc["input"] if i.get("type") == "computer_call_output"}
    missing = {i["call_id"] for i in doc["input"] if i.get("type") == "computer_call"} - outputs
    if missing:
        raise ValueError(f"computer calls without output: {sorted(missing)[:5]}")
    return calls


def validate_chat(path):
    lines = 0
    for line in open(path):
        record = json.loads(line)
        TypeAdapter(List[ChatCompletionMessageParam]).validate_python(record["messages"])
        TypeAdapter(List[ChatCompletionToolParam]).validate_python(record["tools"])
        answered = {m["tool_call_id"] for m in record["messages"] if m["role"] == "tool"}
        for m in record["messages"]:
            for call in m.get("tool_calls") or []:
                check_action(json.loads(call["function"]["arguments"]))
                if call["id"] not in answered:
                    raise ValueError(f"tool call {call['id']} has no tool reply")
        lines += 1
    return lines


if __name__ == "__main__":
    run(sys.argv[1:], lambda p: validate_chat(p) if p.endswith(".jsonl") else validate_items(p))
