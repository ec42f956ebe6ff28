"""The hub: the queue ledger's one writer, and its MQTT front."""
