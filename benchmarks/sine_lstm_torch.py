"""The time-series tutorials' first program, an LSTM forecasting a sine wave, written by hand
in PyTorch as a tutorial writes it (nn.LSTM with batch_first, a plain loop): the measure of
specc's generated sine_lstm_torch.py (benchmarks/run.py, section `lstm`). Same series,
windows of 20 steps, LSTM 16, Dense 1, Adam and shuffled batches of 32."""

import numpy as np
import torch
from torch import nn

torch.manual_seed(0)
series = np.sin(np.linspace(0, 20, 401)).astype(np.float32)
x = torch.tensor(np.stack([series[i : i + 20] for i in range(381)])).unsqueeze(-1)
y = torch.tensor(series[20:]).unsqueeze(-1)


class Forecaster(nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(input_size=1, hidden_size=16, batch_first=True)
        self.fc = nn.Linear(16, 1)

    def forward(self, x):
        outputs, _ = self.lstm(x)
        return self.fc(outputs[:, -1])


model = Forecaster()
optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
criterion = nn.MSELoss()

for epoch in range(1, 11):
    total = 0.0
    order = torch.randperm(len(x))
    for start in range(0, len(x), 32):
        rows = order[start : start + 32]
        optimizer.zero_grad()
        loss = criterion(model(x[rows]), y[rows])
        loss.backward()
        optimizer.step()
        total += loss.item() * len(rows)
    print(f"epoch {epoch:2d}/10  loss {total / len(x):.6f}")
