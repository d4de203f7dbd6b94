# The Keras half of seed 002 ("TensorFlow 与 PyTorch —线性回归"), as the article writes it:
# the hand-written program that benchmarks/run.py measures specc's Keras script against.
# Two changes, so that it runs on Keras 3: `keras.Input` instead of the removed
# `input_shape=` argument, and the input to `predict` as an array, not a list.
import numpy as np
import tensorflow as tf
from tensorflow import keras

model = tf.keras.Sequential([keras.Input(shape=(1,)), keras.layers.Dense(units=1)])
model.compile(optimizer="sgd", loss="mean_squared_error")
xs = np.array([-1.0, 0.0, 1.0, 2.0, 3.0, 4.0], dtype=float)
ys = np.array([-3.0, -1.0, 1.0, 3.0, 5.0, 7.0], dtype=float)
model.fit(xs, ys, epochs=500)
print(model.predict(np.array([10.0])))
