""""2장 심화" (ch02_plus): softmax, cross-entropy, a dense layer's backward pass, a gradient check
and SGD with momentum; its questions (one module each), kernel-side probes and self-checks."""
