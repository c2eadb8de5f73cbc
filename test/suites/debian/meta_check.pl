#!/usr/bin/perl
# meta_check.pl: checks a META.json against the PGXN Meta Spec 1.0.0 (the keys it
# requires, the keys it allows, and the type and form of every value: terms, tags,
# semantic versions, version ranges, licence names, URIs, paths), then against the
# tree it describes.  Core Perl only (JSON::PP), so it runs wherever dpkg-dev does.
#
#   perl meta_check.pl META.json [--root DIR] [--version V] [--pg MAJOR]
#       DIR: the distribution's root (provides' file and docfile must exist there);
#       V: the version the distribution and its extension must have;
#       MAJOR: a PostgreSQL major version the runtime requirement must admit.
#   perl meta_check.pl META.json --self-test
#       every one of a list of broken copies of META.json must be refused.
#
# Prints one line per error ("/path/to/key: what is wrong") and exits 1 when there
# is any; placeholders (example.org) are printed as notes and do not fail.
use strict;
use warnings;
use B ();
use JSON::PP ();

my $SEMVER = qr/(?:0|[1-9]\d*)\.(?:0|[1-9]\d*)\.(?:0|[1-9]\d*)
                (?:-(?:0|[1-9]\d*|\d*[A-Za-z-][0-9A-Za-z-]*)(?:\.(?:0|[1-9]\d*|\d*[A-Za-z-][0-9A-Za-z-]*))*)?
                (?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?/x;
my %LICENSES = map { $_ => 1 } qw(
    agpl_3 apache_1_1 apache_2_0 artistic_1 artistic_2 bsd freebsd gfdl_1_2 gfdl_1_3
    gpl_1 gpl_2 gpl_3 lgpl_2_1 lgpl_3_0 mit mozilla_1_0 mozilla_1_1 openssl perl_5
    postgresql qpl_1_0 ssleay sun zlib open_source restricted unrestricted unknown);
my %PHASES    = map { $_ => 1 } qw(configure build test runtime develop);
my %RELATIONS = map { $_ => 1 } qw(requires recommends suggests conflicts);
my %STATUSES  = map { $_ => 1 } qw(stable testing unstable);
my @REQUIRED  = qw(name version abstract maintainer license provides meta-spec);

my @errors;
sub err { my ($path, $msg) = @_; push @errors, "$path: $msg"; return 0; }

# A JSON string (not a number, not a boolean, not null).
sub is_string {
    my ($v) = @_;
    return 0 if !defined $v || ref $v;
    my $f = B::svref_2object(\$v)->FLAGS;
    return ($f & B::SVp_POK) && !($f & (B::SVp_IOK | B::SVp_NOK)) ? 1 : 0;
}
sub is_number {
    my ($v) = @_;
    return 0 if !defined $v || ref $v;
    my $f = B::svref_2object(\$v)->FLAGS;
    return ($f & (B::SVp_IOK | B::SVp_NOK)) && !($f & B::SVp_POK) ? 1 : 0;
}
sub is_custom { return $_[0] =~ /^[xX]_./ }

sub string_min {
    my ($path, $v, $min) = @_;
    return err($path, 'must be a string') unless is_string($v);
    return err($path, "must be at least $min character(s) long") if length($v) < $min;
    return 1;
}
sub term {
    my ($path, $v) = @_;
    string_min($path, $v, 2) or return 0;
    return err($path, "\"$v\" is not a term (no spaces, slashes, backslashes or control characters)")
        if $v =~ m{[\s/\\\p{Cntrl}]};
    return 1;
}
sub tag {
    my ($path, $v) = @_;
    string_min($path, $v, 2) or return 0;
    return err($path, 'a tag must be at most 255 characters long') if length($v) > 255;
    return err($path, "\"$v\" is not a tag (no slashes, backslashes or control characters)")
        if $v =~ m{[/\\\p{Cntrl}]};
    return 1;
}
sub version {
    my ($path, $v) = @_;
    return err($path, 'must be a string') unless is_string($v);
    return err($path, "\"$v\" is not a semantic version (MAJOR.MINOR.PATCH)") unless $v =~ /^$SEMVER$/;
    return 1;
}
sub version_range {
    my ($path, $v) = @_;
    return 1 if is_number($v) && $v == 0;
    return err($path, 'must be a version range string or the number 0') unless is_string($v);
    for my $part (split /,\s*/, $v, -1) {
        next if $part eq '0';
        return err($path, "\"$v\" is not a version range (\"1.2.0\", \">= 1.2.0, < 2.0.0\", \"0\")")
            unless $part =~ /^(?:(?:[=!]=|[<>]=?)\s*)?$SEMVER$/;
    }
    return 1;
}
sub uri {
    my ($path, $v) = @_;
    return err($path, 'must be a string') unless is_string($v);
    return err($path, "\"$v\" is not a URI with a scheme and a host") unless $v =~ m{^[A-Za-z][A-Za-z0-9+.-]*://[^/?#\s]+[^\s]*$};
    return 1;
}
sub email {
    my ($path, $v) = @_;
    return err($path, 'must be a string') unless is_string($v);
    return err($path, "\"$v\" is not an email address") unless $v =~ /^[^@\s]+@[^@\s]+\.[^@\s]+$/;
    return 1;
}
sub file_path {
    my ($path, $v) = @_;
    string_min($path, $v, 2) or return 0;
    return err($path, "\"$v\" is not a relative path in Unix form")
        if $v =~ m{^/} || $v =~ m{\\} || grep { $_ eq '..' } split m{/}, $v;
    return 1;
}
sub object {
    my ($path, $v, $min) = @_;
    return err($path, 'must be an object') unless ref $v eq 'HASH';
    return err($path, "must have at least $min key(s)") if $min && keys %$v < $min;
    return 1;
}
sub array {
    my ($path, $v, $min) = @_;
    return err($path, 'must be an array') unless ref $v eq 'ARRAY';
    return err($path, "must have at least $min item(s)") if $min && @$v < $min;
    return 1;
}
# An object's keys: each known one checked by its function, x_ keys allowed, others refused.
sub keys_of {
    my ($path, $v, %known) = @_;
    for my $k (sort keys %$v) {
        if ($known{$k}) { $known{$k}->("$path/$k", $v->{$k}); }
        elsif (!is_custom($k)) { err("$path/$k", 'unknown key (custom keys begin with "x_")'); }
    }
}
sub string_or_list {
    my ($path, $v, $each) = @_;
    return $each->($path, $v) unless ref $v;
    array($path, $v, 1) or return 0;
    $each->("$path\[$_\]", $v->[$_]) for 0 .. $#$v;
    return 1;
}

sub check_license {
    my ($path, $v) = @_;
    my $known = sub {
        my ($p, $l) = @_;
        return err($p, 'must be a string') unless is_string($l);
        return err($p, "\"$l\" is not a licence name of the spec (e.g. postgresql, mit, unknown)") unless $LICENSES{$l};
        return 1;
    };
    if (ref $v eq 'HASH') {
        object($path, $v, 1) or return;
        uri("$path/$_", $v->{$_}) for sort keys %$v;
    } else {
        string_or_list($path, $v, $known);
    }
}
sub check_provides {
    my ($path, $v) = @_;
    object($path, $v, 1) or return;
    for my $ext (sort keys %$v) {
        my $p = "$path/$ext";
        term($p, $ext);
        object($p, $v->{$ext}) or next;
        exists $v->{$ext}{$_} or err("$p/$_", 'required') for qw(file version);
        keys_of($p, $v->{$ext},
            file => \&file_path, docfile => \&file_path, version => \&version,
            abstract => sub { string_min($_[0], $_[1], 1) });
    }
}
sub check_meta_spec {
    my ($path, $v) = @_;
    object($path, $v) or return;
    exists $v->{version} or err("$path/version", 'required');
    keys_of($path, $v,
        version => sub {
            my ($p, $s) = @_;
            is_string($s) && $s =~ /^1\.0\.\d+$/ or err($p, 'must be "1.0.x": this is a v1 document');
        },
        url => sub {
            my ($p, $s) = @_;
            is_string($s) && $s =~ m{^https?://pgxn\.org/meta/spec\.txt$}
                or err($p, 'must be https://pgxn.org/meta/spec.txt');
        });
}
sub check_prereqs {
    my ($path, $v) = @_;
    object($path, $v, 1) or return;
    for my $phase (sort keys %$v) {
        my $pp = "$path/$phase";
        if (!$PHASES{$phase}) { is_custom($phase) or err($pp, 'not a phase (configure, build, test, runtime, develop)'); next; }
        object($pp, $v->{$phase}, 1) or next;
        for my $rel (sort keys %{ $v->{$phase} }) {
            my $rp = "$pp/$rel";
            if (!$RELATIONS{$rel}) { is_custom($rel) or err($rp, 'not a relationship (requires, recommends, suggests, conflicts)'); next; }
            object($rp, $v->{$phase}{$rel}, 1) or next;
            for my $ext (sort keys %{ $v->{$phase}{$rel} }) {
                term("$rp/$ext", $ext);
                version_range("$rp/$ext", $v->{$phase}{$rel}{$ext});
            }
        }
    }
}
sub check_resources {
    my ($path, $v) = @_;
    object($path, $v, 1) or return;
    keys_of($path, $v,
        homepage => \&uri,
        bugtracker => sub {
            my ($p, $b) = @_;
            object($p, $b) or return;
            exists $b->{web} || exists $b->{mailto} or err($p, 'needs web or mailto');
            keys_of($p, $b, web => \&uri, mailto => \&email);
        },
        repository => sub {
            my ($p, $r) = @_;
            object($p, $r) or return;
            exists $r->{web} || (exists $r->{url} && exists $r->{type}) or err($p, 'needs web, or url and type');
            keys_of($p, $r, url => \&uri, web => \&uri, type => sub {
                my ($tp, $t) = @_;
                string_min($tp, $t, 1) or return;
                $t =~ /\p{Upper}/ and err($tp, "\"$t\" must be lower case");
            });
        });
}

sub check_spec {
    my ($m) = @_;
    object('', $m) or return;
    exists $m->{$_} or err("/$_", 'required') for @REQUIRED;
    keys_of('', $m,
        name => \&term,
        version => \&version,
        abstract => sub { string_min($_[0], $_[1], 1) },
        description => sub { string_min($_[0], $_[1], 1) },
        generated_by => sub { string_min($_[0], $_[1], 1) },
        maintainer => sub { string_or_list($_[0], $_[1], sub { string_min($_[0], $_[1], 1) }) },
        license => \&check_license,
        provides => \&check_provides,
        'meta-spec' => \&check_meta_spec,
        prereqs => \&check_prereqs,
        resources => \&check_resources,
        release_status => sub {
            my ($p, $s) = @_;
            is_string($s) && $STATUSES{$s} or err($p, 'must be stable, testing or unstable');
        },
        tags => sub {
            my ($p, $t) = @_;
            array($p, $t, 1) or return;
            tag("$p\[$_\]", $t->[$_]) for 0 .. $#$t;
        },
        no_index => sub {
            my ($p, $n) = @_;
            object($p, $n) or return;
            my $list = sub { string_or_list($_[0], $_[1], sub { string_min($_[0], $_[1], 1) }) };
            keys_of($p, $n, file => $list, directory => $list);
        });
}

# What the spec cannot know: the tree and the version being built.
sub check_tree {
    my ($m, $root, $want, $pg) = @_;
    return unless ref $m eq 'HASH' && ref $m->{provides} eq 'HASH';
    for my $ext (sort keys %{ $m->{provides} }) {
        my $e = $m->{provides}{$ext};
        next unless ref $e eq 'HASH';
        for my $k (qw(file docfile)) {
            next unless defined $e->{$k} && defined $root;
            -f "$root/$e->{$k}" or err("/provides/$ext/$k", "\"$e->{$k}\" is not a file of the tree");
        }
        if (defined $want && is_string($e->{version}) && $e->{version} ne $want) {
            err("/provides/$ext/version", "is $e->{version}, the version being built is $want");
        }
    }
    if (defined $want && is_string($m->{version}) && $m->{version} ne $want) {
        err('/version', "is $m->{version}, the version being built is $want");
    }
    if (defined $pg) {
        my $range = eval { $m->{prereqs}{runtime}{requires}{PostgreSQL} };
        if (!defined $range) { err('/prereqs/runtime/requires/PostgreSQL', 'required: the PostgreSQL crm runs on'); }
        elsif (!admits($range, "$pg.0.0")) { err('/prereqs/runtime/requires/PostgreSQL', "\"$range\" does not admit PostgreSQL $pg"); }
    }
}

# Does a version range admit a version?  (Pre-release and build parts are ignored.)
sub vcmp {
    my @a = split /\./, ($_[0] =~ s/[-+].*//r);
    my @b = split /\./, ($_[1] =~ s/[-+].*//r);
    return $a[0] <=> $b[0] || $a[1] <=> $b[1] || $a[2] <=> $b[2];
}
sub admits {
    my ($range, $v) = @_;
    return 1 if "$range" eq '0';
    for my $part (split /,\s*/, $range) {
        next if $part eq '0';
        my ($op, $w) = $part =~ /^([=!]=|[<>]=?)?\s*(\S+)$/ or return 0;
        my $c = vcmp($v, $w);
        $op //= '>=';
        return 0 unless ($op eq '>=' ? $c >= 0 : $op eq '>' ? $c > 0 : $op eq '<=' ? $c <= 0
                         : $op eq '<' ? $c < 0 : $op eq '==' ? $c == 0 : $c != 0);
    }
    return 1;
}

# The keys whose values are placeholders (example.org), to be filled before a release.
sub placeholders {
    my ($v, $path) = @_;
    return map { placeholders($v->{$_}, "$path/$_") } sort keys %$v if ref $v eq 'HASH';
    return map { placeholders($v->[$_], "$path\[$_\]") } 0 .. $#$v if ref $v eq 'ARRAY';
    return defined $v && $v =~ /\bexample\.(?:org|com|net)\b/ ? ($path) : ();
}

# Broken copies of a valid document: each must be refused, naming the key.
sub self_test {
    my ($good) = @_;
    my $json = JSON::PP->new->canonical;
    my $text = $json->encode($good);
    my @cases = (
        ['/abstract',                          sub { delete $_[0]{abstract} }],
        ['/version',                           sub { $_[0]{version} = '0.2' }],
        ['/version',                           sub { $_[0]{version} = 2 }],
        ['/name',                              sub { $_[0]{name} = 'c r m' }],
        ['/license',                           sub { $_[0]{license} = 'gpl' }],
        ['/maintainer',                        sub { $_[0]{maintainer} = [] }],
        ['/abstract',                          sub { $_[0]{abstract} = 1 }],
        ['/tags[0]',                           sub { $_[0]{tags} = ['a/b'] }],
        ['/colour',                            sub { $_[0]{colour} = 'blue' }],
        ['/provides/crm/file',                 sub { delete $_[0]{provides}{crm}{file} }],
        ['/provides/crm/docs',                 sub { $_[0]{provides}{crm}{docs} = 'README.md' }],
        ['/meta-spec/version',                 sub { $_[0]{'meta-spec'}{version} = '2.0.0' }],
        ['/prereqs/runtime/requires/PostgreSQL', sub { $_[0]{prereqs}{runtime}{requires}{PostgreSQL} = '15' }],
        ['/prereqs/install',                   sub { $_[0]{prereqs}{install} = { requires => { PostgreSQL => 0 } } }],
        ['/resources/repository',              sub { $_[0]{resources}{repository} = { type => 'git' } }],
        ['/resources/homepage',                sub { $_[0]{resources}{homepage} = 'crm.example.org' }],
        ['/release_status',                    sub { $_[0]{release_status} = 'final' }],
    );
    my $failed = 0;
    for my $c (@cases) {
        my ($where, $break) = @$c;
        my $m = $json->decode($text);
        $break->($m);
        @errors = ();
        check_spec($m);
        if (!grep { index($_, "$where:") == 0 || index($_, "$where/") == 0 } @errors) {
            print "self-test: a META.json broken at $where was not refused (errors: @errors)\n";
            $failed = 1;
        }
    }
    @errors = ();
    return !$failed;
}

my ($file, $root, $want, $pg, $selftest);
while (@ARGV) {
    my $a = shift @ARGV;
    if ($a eq '--root') { $root = shift @ARGV; }
    elsif ($a eq '--version') { $want = shift @ARGV; }
    elsif ($a eq '--pg') { $pg = shift @ARGV; }
    elsif ($a eq '--self-test') { $selftest = 1; }
    else { $file = $a; }
}
die "usage: $0 META.json [--root DIR] [--version V] [--pg MAJOR] [--self-test]\n" unless defined $file;
my $text = do { local $/; open my $fh, '<:raw', $file or die "$file: $!\n"; <$fh> };
my $meta = eval { JSON::PP->new->utf8->decode($text) };
if (!defined $meta) { print "$file: not valid JSON: $@"; exit 1; }

if ($selftest) { exit(self_test($meta) ? 0 : 1); }
check_spec($meta);
check_tree($meta, $root, $want, $pg);
my @placeholders = placeholders($meta, '');
print STDERR "note: placeholders (example.org) to fill before a release: @placeholders\n" if @placeholders;
print "$_\n" for @errors;
exit(@errors ? 1 : 0);
