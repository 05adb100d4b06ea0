\ program.fs: a few classic Forth exercises for the forth app.

: square ( n -- n*n ) dup * ;
: cube ( n -- n^3 ) dup square * ;

." squares and cubes:" cr
: table 6 1 do i . i square . i cube . cr loop ;
table

\ factorial, recursive and iterative
: fact ( n -- n! ) dup 1 > if dup 1- recurse * else drop 1 then ;
." 20! = " 20 fact . cr

\ Fibonacci numbers with begin/while/repeat
: fibs ( n -- ) 0 1 rot 0 do over . tuck + loop 2drop ;
." fib: " 15 fibs cr

\ greatest common divisor with begin/until
: gcd ( a b -- g ) begin tuck mod dup 0= until drop ;
." gcd(1071, 462) = " 1071 462 gcd . cr

\ primes below 100 with a sieve in memory
create sieve 100 cells allot
: clear-sieve 100 0 do 0 sieve i + ! loop ;
: mark ( p -- ) dup dup * begin dup 100 < while 1 over sieve + ! over + repeat 2drop ;
: primes clear-sieve 100 2 do sieve i + @ 0= if i . i mark then loop ;
." primes: " primes cr

\ variables and constants
variable total
10 constant ten
: sum-to ( n -- ) 0 total ! 1+ 1 do i total +! loop ;
ten sum-to ." sum 1..10 = " total @ . cr

\ fizzbuzz
: fizzbuzz 16 1 do
    i 15 mod 0= if ." FizzBuzz " else
    i 3 mod 0= if ." Fizz " else
    i 5 mod 0= if ." Buzz " else i . then then then
  loop ;
fizzbuzz cr

\ a triangle of stars with nested loops and emit
: stars 0 do 42 emit loop ;
: triangle 5 1 do i stars cr loop ;
triangle

\ +loop counting down, leave, negative division
: countdown 0 10 do i . -2 +loop ;
countdown cr
: first-over ( n -- ) 100 0 do i dup * over > if i . leave then loop drop ;
50 first-over cr
-7 2 / . -7 2 mod . -7 2/ . 7 2/ . cr
1 62 lshift dup . 2* . cr
." stack: " 1 2 3 .s cr
