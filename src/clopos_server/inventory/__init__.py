"""Inventory (issue 17): suppliers, storages, stock documents and the one stock ledger.

``ledger`` is the only code that moves stock: every movement (a published document's line, a closed or
deleted receipt's spending) is one ``stock_operations`` row with the quantity and cost before and after,
written in the caller's transaction together with the level it changes. ``documents`` holds the rules of
stock documents (draft, publish once, per type); ``reads`` answers the v2 read paths; ``repository`` is
every query (each takes the brand id).
"""
