"""The kiosk's Kivy screens. Imported only by ``python -m kiosk``: the hub never loads Kivy."""
