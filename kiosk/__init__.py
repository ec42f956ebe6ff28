"""The kiosk process: taking a number, looking up a dossier, standing unattended (plain Python),
its Kivy screens (``kiosk.ui``) and ticket printing (``kiosk.printing``)."""
