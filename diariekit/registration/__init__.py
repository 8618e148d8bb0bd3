"""Registration (diarieföring): case references (diarienummer), counters and the register."""
