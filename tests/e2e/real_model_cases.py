"""A model nobody here wrote, as a user's case file: torchvision's resnet18 in
training mode, whose twenty BatchNorms update their running statistics and
count their batches on every call."""

import torch
import torchvision
from exportmatrix_suite import behaviour


@behaviour(
    id="tv.resnet18_train",
    inputs=lambda: (torch.randn(2, 3, 32, 32),),
    mutates=("buffer **.running_mean", "buffer **.running_var", "buffer **.num_batches_tracked"),
)
class ResNet18Training(torch.nn.Module):
    """torchvision's resnet18 (4 classes, random weights) in training mode."""

    def __init__(self):
        super().__init__()
        self.net = torchvision.models.resnet18(num_classes=4)

    def forward(self, x):
        return self.net(x)
