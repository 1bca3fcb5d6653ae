"""An example model package: gamblers learning which arm of a bandit pays."""
