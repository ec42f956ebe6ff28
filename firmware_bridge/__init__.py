"""firmware_bridge: counter keypads on serial lines <-> the hub over MQTT (SPEC section 5)."""
