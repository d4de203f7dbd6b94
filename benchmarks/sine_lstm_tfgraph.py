"""The time-series tutorials' first program, an LSTM forecasting a sine wave, written by hand
in TensorFlow's graph mode (tf.compat.v1 under Keras 3, which has no tf.compat.v1.nn.rnn_cell:
the LSTM step written out and run by tf.scan over the steps): the measure of specc's generated
sine_lstm_tfgraph.py (benchmarks/run.py, section `lstm`). Same series, windows of 20 steps,
LSTM 16, Dense 1, Adam and shuffled batches of 32."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
import tensorflow as tf

tf.compat.v1.disable_eager_execution()
tf.compat.v1.set_random_seed(0)
np.random.seed(0)
series = np.sin(np.linspace(0, 20, 401)).astype(np.float32)
x = np.stack([series[i : i + 20] for i in range(381)])[..., None]
y = series[20:, None]

glorot = tf.compat.v1.glorot_uniform_initializer()
windows = tf.compat.v1.placeholder(tf.float32, shape=(None, 20, 1))
targets = tf.compat.v1.placeholder(tf.float32, shape=(None, 1))
kernel = tf.Variable(glorot([1, 64]))
recurrent_kernel = tf.Variable(tf.compat.v1.orthogonal_initializer()([16, 64]))
bias = tf.Variable(tf.zeros([64]))
w, b = tf.Variable(glorot([16, 1])), tf.Variable(tf.zeros([1]))


def lstm_step(state, step):
    h, c = state
    i, f, g, o = tf.split(tf.matmul(step, kernel) + tf.matmul(h, recurrent_kernel) + bias, 4, 1)
    c = tf.sigmoid(f) * c + tf.sigmoid(i) * tf.tanh(g)
    return tf.sigmoid(o) * tf.tanh(c), c


zeros = tf.zeros([tf.shape(windows)[0], 16])
h, _ = tf.scan(lstm_step, tf.transpose(windows, [1, 0, 2]), initializer=(zeros, zeros))
predictions = tf.matmul(h[-1], w) + b
loss = tf.reduce_mean(tf.square(predictions - targets))
train_op = tf.compat.v1.train.AdamOptimizer(learning_rate=0.01).minimize(loss)

with tf.compat.v1.Session() as sess:
    sess.run(tf.compat.v1.global_variables_initializer())
    for epoch in range(1, 11):
        total = 0.0
        order = np.random.permutation(len(x))
        for start in range(0, len(x), 32):
            rows = order[start : start + 32]
            _, value = sess.run([train_op, loss], feed_dict={windows: x[rows], targets: y[rows]})
            total += value * len(rows)
        print(f"epoch {epoch:2d}/10  loss {total / len(x):.6f}")
