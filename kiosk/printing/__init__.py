"""Ticket printing (SPEC section 6): the ticket drawn as an image, printed with python-escpos.

No Kivy here: the kiosk UI, the technician's ``--test-ticket`` and the tests all use it.
"""
