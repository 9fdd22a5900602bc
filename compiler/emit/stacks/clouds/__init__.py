"""One driver per cloud: the components of `compiler.emit.stacks.components` mapped to that
cloud's resources."""
