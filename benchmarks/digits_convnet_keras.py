"""Keras's "Simple MNIST convnet" on scikit-learn's 8x8 digits, written by hand in Keras 3
as its example writes it (model.fit): the measure of specc's generated
digits_convnet_keras.py (benchmarks/run.py, section `convnet`). Same model, data order,
Adam and batches of 128."""

import keras
from sklearn.datasets import load_digits

keras.utils.set_random_seed(0)
pixels, labels = load_digits(return_X_y=True)
x = (pixels / 16).reshape(-1, 8, 8, 1).astype("float32")

model = keras.Sequential(
    [
        keras.Input(shape=(8, 8, 1)),
        keras.layers.Conv2D(16, 3, padding="same", activation="relu"),
        keras.layers.MaxPooling2D(2),
        keras.layers.Conv2D(32, 3, padding="same", activation="relu"),
        keras.layers.MaxPooling2D(2),
        keras.layers.Flatten(),
        keras.layers.Dense(10),
    ]
)
model.compile(
    optimizer=keras.optimizers.Adam(learning_rate=0.001),
    loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    metrics=["accuracy"],
)
model.fit(x, labels, batch_size=128, epochs=5, shuffle=False, verbose=2)
