
Build-1-1"
hello <&>
