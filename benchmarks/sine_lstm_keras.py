"""The time-series tutorials' first program, an LSTM forecasting a sine wave, written by hand
in Keras 3 as its guides write it (model.fit): the measure of specc's generated
sine_lstm_keras.py (benchmarks/run.py, section `lstm`). Same series, windows of 20 steps,
LSTM 16, Dense 1, Adam and shuffled batches of 32."""

import keras
import numpy as np

keras.utils.set_random_seed(0)
series = np.sin(np.linspace(0, 20, 401)).astype("float32")
x = np.stack([series[i : i + 20] for i in range(381)])[..., None]
y = series[20:, None]

model = keras.Sequential(
    [
        keras.Input(shape=(20, 1)),
        keras.layers.LSTM(16),
        keras.layers.Dense(1),
    ]
)
model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.01), loss="mse")
model.fit(x, y, batch_size=32, epochs=10, shuffle=True, verbose=2)
