"""motcua: the kiosk package, home of the hub and the shared wire contract.

Deliberately empty: ``python -m kiosk.hub`` must never load Kivy.
"""
