"""motcua: what every process of the hall shares (the wire contract, the site schema, the MQTT
link, the hub client, start-up) and the processes without a screen (``motcua.hub``).

Deliberately empty, and nothing here imports Kivy but ``kivyrun``, which only the kiosk and the
wall screen import: ``python -m motcua.hub`` must never load it.
"""
