"""display_board: the "now serving" wall screen with Vietnamese voice calls (SPEC section 8)."""
