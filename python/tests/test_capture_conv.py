"""Convolutions come through capture whole, with their parameters (the offline author's conv.ts
reads them by position; arguments left at their defaults are absent)."""
from tritonize_harness.capture import capture

CONVS = '''
import torch
import torch.nn as nn
import torch.nn.functional as F
class Model(nn.Module):
    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv1d(4, 8, 3, stride=2, dilation=2, groups=2, bias=False)
        self.c2 = nn.Conv2d(4, 6, (2, 3), padding="same")
        self.t3 = nn.ConvTranspose3d(4, 6, 3, stride=2, padding=1, output_padding=1, groups=2)
    def forward(self, x1, x2, x3, w):
        return self.c1(x1), self.c2(x2), self.t3(x3), F.conv2d(x2, w, padding="valid")
def get_inputs():
    return [torch.randn(2, 4, 17), torch.randn(2, 4, 7, 9), torch.randn(1, 4, 3, 4, 5), torch.randn(5, 4, 3, 3)]
def get_init_inputs():
    return []
'''


def test_convolutions_keep_their_parameters(write):
    doc = capture(write("convs.py", CONVS))
    assert doc["ok"], doc.get("message")
    nodes = {n["op"]: n for n in doc["nodes"] if n["op"].startswith("conv")}
    c1 = doc["nodes"][0]
    assert (c1["op"], c1["args"][2:], c1["shape"]) == ("conv1d", [None, [2], [0], [2], 2], [2, 8, 7])
    same = [n for n in doc["nodes"] if n["target"] == "aten.conv2d.padding"]
    # "valid" is the default of the string-padding form, so it is left out like other defaults
    assert same[0]["args"][4] == "same" and same[0]["shape"] == [2, 6, 7, 9]
    assert same[1]["args"] == [{"input": "x2"}, {"input": "w"}] and same[1]["shape"] == [2, 5, 5, 7]
    t3 = nodes["conv_transpose3d"]
    assert t3["target"] == "aten.conv_transpose3d.input"
    assert t3["args"][3:7] == [[2, 2, 2], [1, 1, 1], [1, 1, 1], 2] and t3["shape"] == [1, 6, 6, 8, 10]
