"""Graph rewrites of the converter, one per module, each `run(model, ...) -> int`.

A pass edits an ir.Model in place and returns how many rewrites it made (the summary prints
them). Its docstring draws the rewrite, before -> after. convert/pipeline.py lists them in order.
"""
