*8
StatusCheck-1StatusCheck*Failed2êboomfix