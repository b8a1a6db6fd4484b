2%
appBuild-1app"Build*	Succeeded