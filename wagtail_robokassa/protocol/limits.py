"""Size limits shared by the side that signs and the side that verifies.

A payment signed with more or longer ``Shp_*`` parameters than a callback may carry would be
refused as malformed when ROBOKASSA echoes them back, and retried forever; so both sides read
their limits here.
"""

#: Parameters a callback may carry in all.
MAX_CALLBACK_PARAMS = 100
#: Room kept for ROBOKASSA's own parameters (OutSum, InvId, SignatureValue, their legacy
#: duplicates, Fee, EMail, IsTest, Culture, …), so that every signed ``Shp_*`` fits.
RESERVED_CALLBACK_PARAMS = 20
#: ``Shp_*`` parameters one payment may carry.
MAX_SHP_PARAMS = MAX_CALLBACK_PARAMS - RESERVED_CALLBACK_PARAMS
#: Characters in a parameter name (``Shp_`` included).
MAX_NAME_LENGTH = 64
#: Characters in a parameter value.
MAX_VALUE_LENGTH = 2048
