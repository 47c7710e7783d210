"""Settings, errors, models and enums, refs, units: imported by every layer, importing none of them."""
