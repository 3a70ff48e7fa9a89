"""Validates Apprentice Anthropic transcripts with the anthropic SDK's own types.

Usage: validate_anthropic.py FILE... ; exits non-zero, naming the problem, if any file fails.
Checks the computer tool definition, every message as a BetaMessageParam, and every computer
tool_use input against the SDK's model for its action (unknown fields are errors).
"""
import json
import sys
from typing import List

from pydantic import TypeAdapter

from report import run

import anthropic.types as t
from anthropic.types.beta import BetaMessageParam, BetaToolComputerUse20250124Param, BetaToolComputerUse20251124Param

INPUTS = {
    "screenshot": t.ComputerScreenshotInput,
    "left_click": t.ComputerLeftClickInput,
    "double_click": t.ComputerDoubleClickInput,
    "triple_click": t.ComputerTripleClickInput,
    "right_click": t.ComputerRightClickInput,
    "middle_click": t.ComputerMiddleClickInput,
    "left_click_drag": t.ComputerLeftClickDragInput,
    "scroll": t.ComputerScrollInput,
    "type": t.ComputerTypeInput,
    "key": t.ComputerKeyInput,
    "mouse_move": t.ComputerMouseMoveInput,
    "wait": t.ComputerWaitInput,
}
TOOLS = {"computer_20250124": BetaToolComputerUse20250124Param, "computer_20251124": BetaToolComputerUse20251124Param}


def validate(path):
    doc = json.load(open(path))
    tool = doc["tools"][0]
    TypeAdapter(TOOLS[tool["type"]]).validate_python(tool)
    width, height = tool["display_width_px"], tool["display_height_px"]
    TypeAdapter(List[BetaMessageParam]).validate_python(doc["messages"])
    uses = 0
    for message in doc["messages"]:
        for block in message["content"]:
            if block["type"] != "tool_use":
                continue
            uses += 1
            args = dict(block["input"])
            action = args.pop("action")
            model = INPUTS[action]
            unknown = set(args) - set(model.model_fields)
            if unknown:
                raise ValueError(f"{action}: fields the SDK does not know: {unknown}")
            model.model_validate(args)
            for key in ("coordinate", "start_coordinate"):
                if key in args:
                    x, y = args[key]
                    if not (0 <= x < width and 0 <= y < height):
                        raise ValueError(f"{action}: {key} {args[key]} outside the declared {width}x{height} display")
    return uses


if __name__ == "__main__":
    run(sys.argv[1:], lambda p: f"{validate(p)} computer actions")
