Z Started"pod*c2nsR	
dlv̷