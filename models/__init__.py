"""The lab's Mesa models, one package each (model, agents, theory).

Models know nothing of learners: they declare roles and exchange batched arrays through the
contract in :mod:`socialrl.contract`.
"""
