"""Keras's "Simple MNIST convnet" on scikit-learn's 8x8 digits, written by hand in
TensorFlow's graph mode (tf.compat.v1, the layers as tf.nn ops, as TF1 tutorials write them
under Keras 3): the measure of specc's generated digits_convnet_tfgraph.py
(benchmarks/run.py, section `convnet`). Same model, data order, Adam and batches of 128."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
import tensorflow as tf
from sklearn.datasets import load_digits

tf.compat.v1.disable_eager_execution()
tf.compat.v1.set_random_seed(0)
pixels, labels = load_digits(return_X_y=True)
x = (pixels / 16).reshape(-1, 8, 8, 1).astype(np.float32)

glorot = tf.compat.v1.glorot_uniform_initializer()
images = tf.compat.v1.placeholder(tf.float32, shape=(None, 8, 8, 1))
classes = tf.compat.v1.placeholder(tf.int64, shape=(None,))
w1, b1 = tf.Variable(glorot([3, 3, 1, 16])), tf.Variable(tf.zeros([16]))
w2, b2 = tf.Variable(glorot([3, 3, 16, 32])), tf.Variable(tf.zeros([32]))
w3, b3 = tf.Variable(glorot([128, 10])), tf.Variable(tf.zeros([10]))

h = tf.nn.relu(tf.nn.conv2d(images, w1, strides=1, padding="SAME") + b1)
h = tf.nn.max_pool2d(h, ksize=2, strides=2, padding="VALID")
h = tf.nn.relu(tf.nn.conv2d(h, w2, strides=1, padding="SAME") + b2)
h = tf.nn.max_pool2d(h, ksize=2, strides=2, padding="VALID")
logits = tf.matmul(tf.reshape(h, [-1, 128]), w3) + b3
loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=classes, logits=logits))
correct = tf.reduce_sum(tf.cast(tf.equal(tf.argmax(logits, axis=1), classes), tf.int64))
train_op = tf.compat.v1.train.AdamOptimizer(learning_rate=0.001).minimize(loss)

with tf.compat.v1.Session() as sess:
    sess.run(tf.compat.v1.global_variables_initializer())
    for epoch in range(1, 6):
        total, right = 0.0, 0
        for start in range(0, len(x), 128):
            feed = {images: x[start : start + 128], classes: labels[start : start + 128]}
            _, value, hits = sess.run([train_op, loss, correct], feed_dict=feed)
            total += value * len(feed[images])
            right += hits
        print(f"epoch {epoch}/5  loss {total / len(x):.6f}  accuracy {right / len(x):.6f}")
