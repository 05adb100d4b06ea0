\ bad.fs: an error on line 4 (an unknown word) after some output.
: hello ." hello" cr ;
hello
1 2 + frobnicate .
." not reached" cr
