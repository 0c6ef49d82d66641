"""The matching engine, pure (no Django): who should get a request, learned from every recorded answer.

`types.py` is the contract shared with the product (matching/routing.py) and the marketplace simulator.
"""
