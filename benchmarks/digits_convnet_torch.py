"""Keras's "Simple MNIST convnet" on scikit-learn's 8x8 digits, written by hand in PyTorch
as a tutorial writes it: the measure of specc's generated digits_convnet_torch.py
(benchmarks/run.py, section `convnet`). Same model, data order, Adam and batches of 128."""

import torch
from sklearn.datasets import load_digits
from torch import nn

torch.manual_seed(0)
pixels, labels = load_digits(return_X_y=True)
x = torch.tensor(pixels.reshape(-1, 1, 8, 8) / 16, dtype=torch.float32)
y = torch.tensor(labels)

model = nn.Sequential(
    nn.Conv2d(1, 16, kernel_size=3, padding="same"),
    nn.ReLU(),
    nn.MaxPool2d(2),
    nn.Conv2d(16, 32, kernel_size=3, padding="same"),
    nn.ReLU(),
    nn.MaxPool2d(2),
    nn.Flatten(),
    nn.Linear(32 * 2 * 2, 10),
)
optimizer = torch.optim.Adam(model.parameters(), lr=0.001)
criterion = nn.CrossEntropyLoss()

for epoch in range(1, 6):
    total, correct = 0.0, 0
    for start in range(0, len(x), 128):
        inputs, targets = x[start : start + 128], y[start : start + 128]
        optimizer.zero_grad()
        outputs = model(inputs)
        loss = criterion(outputs, targets)
        loss.backward()
        optimizer.step()
        total += loss.item() * len(inputs)
        correct += (outputs.argmax(dim=1) == targets).sum().item()
    print(f"epoch {epoch}/5  loss {total / len(x):.6f}  accuracy {correct / len(x):.6f}")
