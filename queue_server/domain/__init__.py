"""The pure, synchronous domain core: no I/O, no database, no asyncio. It takes a clock."""
