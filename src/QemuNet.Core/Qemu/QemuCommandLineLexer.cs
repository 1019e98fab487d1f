using System.Text;

namespace QemuNet.Core.Qemu;

/// <summary>
/// Reads a command line into QEMU options, never running it: one string is split into words as a POSIX shell
/// would (quotes, backslashes, backslash-newline continuations, comments), and anything whose meaning needs a
/// shell (expansions, pipes, redirections) is refused, not guessed. Every option keeps where it stood.
/// </summary>
public static class QemuCommandLineLexer
{
    /// <summary>QEMU 7.2's options that take no value (qemu-options.hx), with older ones scripts still carry.</summary>
    private static readonly HashSet<string> Flags = new(StringComparer.Ordinal)
    {
        "-S", "-s", "-daemonize", "-enable-kvm", "-no-kvm", "-full-screen", "-mem-prealloc", "-no-acpi", "-no-fd-bootchk", "-no-hpet",
        "-no-reboot", "-no-shutdown", "-no-user-config", "-nodefaults", "-nodefconfig", "-nographic", "-only-migratable", "-portrait",
        "-singlestep", "-snapshot", "-usb", "-version", "-win2k-hack", "-xen-attach", "-xen-domid-restrict", "-enable-sync-profile",
        "-audio-help", "-preconfig", "-h", "-help", "-alt-grab", "-ctrl-grab", "-no-frame", "-no-quit", "-curses", "-sdl", "-enable-fips",
        "-semihosting", "-async-teardown", "-old-param", "-no-kvm-irqchip", "-no-kvm-pit", "-enable-nesting",
    };

    /// <summary>QEMU 7.2's options that take a value, with older ones (-redir, -tftp, -smb, -soundhw, -runas's successor -run-with).</summary>
    private static readonly HashSet<string> WithValue = new(StringComparer.Ordinal)
    {
        "-D", "-L", "-M", "-accel", "-acpitable", "-action", "-add-fd", "-append", "-audio", "-audiodev", "-bios", "-blockdev", "-boot",
        "-cdrom", "-chardev", "-chroot", "-compat", "-cpu", "-d", "-debugcon", "-device", "-dfilter", "-display", "-drive", "-dtb",
        "-dump-vmstate", "-echr", "-fda", "-fdb", "-fsdev", "-fw_cfg", "-gdb", "-global", "-hda", "-hdb", "-hdc", "-hdd", "-icount",
        "-incoming", "-initrd", "-iscsi", "-k", "-kernel", "-loadvm", "-m", "-machine", "-mem-path", "-mon", "-monitor", "-msg",
        "-mtdblock", "-name", "-net", "-netdev", "-nic", "-numa", "-object", "-option-rom", "-overcommit", "-parallel", "-pflash",
        "-pidfile", "-plugin", "-qmp", "-qmp-pretty", "-readconfig", "-writeconfig", "-rotate", "-rtc", "-runas", "-run-with", "-sandbox",
        "-sd", "-seed", "-serial", "-set", "-smbios", "-smp", "-spice", "-tpmdev", "-trace", "-usbdevice", "-uuid", "-vga", "-virtfs",
        "-virtfs_synth", "-vnc", "-watchdog", "-watchdog-action", "-xen-domid", "-redir", "-tftp", "-bootp", "-smb", "-soundhw",
        "-machine", "-smp",
    };

    /// <summary>The options of one command-line string.</summary>
    public static IReadOnlyList<QemuCliOption> Options(string line) =>
        Options(ShellWords(line).Select(w => (w.Text, $"column {w.Column + 1}")).ToList());

    /// <summary>The options of an argument array, each element one argument as a program receives it.</summary>
    public static IReadOnlyList<QemuCliOption> Options(IReadOnlyList<string> arguments) =>
        Options(arguments.Select((a, i) => (a, $"argument {i + 1}")).ToList());

    private static List<QemuCliOption> Options(List<(string Text, string Where)> words)
    {
        var options = new List<QemuCliOption>();
        // A leading program name (qemu-kvm, /usr/libexec/qemu-kvm, qemu-system-x86_64) is not an option.
        var i = words.Count > 0 && !words[0].Text.StartsWith('-') && IsProgram(words[0].Text) ? 1 : 0;
        for (; i < words.Count; i++)
        {
            var (word, where) = words[i];
            if (!word.StartsWith('-') || word.Length < 2)
            {
                throw new QemuNetException("CommandLineStrayWord", QemuNetErrorCategory.InvalidArgument, word,
                    $"At {where}, '{word}' is not an option (QEMU's options start with '-'), nor the value of one.",
                    word == "..." ? "Fill in what the '...' stands for (e.g. -m 512 -kernel /boot/vmlinuz), or remove it." : "Remove the word, or put the option it belongs to before it.");
            }

            // QEMU takes --option as -option.
            var name = word.StartsWith("--", StringComparison.Ordinal) ? word[1..] : word;
            if (Flags.Contains(name))
            {
                options.Add(new QemuCliOption(name, null, where));
                continue;
            }

            if (!WithValue.Contains(name))
            {
                throw new QemuNetException("CommandLineOptionUnknown", QemuNetErrorCategory.InvalidArgument, word,
                    $"At {where}, '{word}' is not an option of QEMU.", "Correct the option's name (qemu-system-x86_64 -help lists them), or remove it.");
            }

            if (i + 1 >= words.Count)
            {
                throw new QemuNetException("CommandLineValueMissing", QemuNetErrorCategory.InvalidArgument, word,
                    $"At {where}, {word} needs a value, and the line ends there.", $"Give {word} its value, or remove it.");
            }

            options.Add(new QemuCliOption(name, words[++i].Text, where));
        }

        return options;
    }

    private static bool IsProgram(string word)
    {
        var file = word[(word.LastIndexOf('/') + 1)..];
        return file.StartsWith("qemu", StringComparison.Ordinal) || file == "kvm";
    }

    /// <summary>The words of <paramref name="line"/> as a POSIX shell splits them, each with its starting column (0-based).</summary>
    public static IReadOnlyList<(string Text, int Column)> ShellWords(string line)
    {
        var words = new List<(string, int)>();
        var word = new StringBuilder();
        var start = -1;
        void End()
        {
            if (start >= 0)
            {
                words.Add((word.ToString(), start));
                word.Clear();
                start = -1;
            }
        }

        for (var i = 0; i < line.Length; i++)
        {
            var c = line[i];
            switch (c)
            {
                case ' ' or '\t' or '\n' or '\r':
                    End();
                    continue;
                case '#' when start < 0:
                    // A comment runs to the end of its line.
                    while (i + 1 < line.Length && line[i + 1] != '\n')
                    {
                        i++;
                    }

                    continue;
                case '\\':
                    if (i + 1 < line.Length && (line[i + 1] == '\n' || (line[i + 1] == '\r' && i + 2 < line.Length && line[i + 2] == '\n')))
                    {
                        // A continuation: the line goes on, and the backslash and newline are nothing.
                        i += line[i + 1] == '\r' ? 2 : 1;
                        continue;
                    }

                    start = start < 0 ? i : start;
                    if (i + 1 < line.Length)
                    {
                        word.Append(line[++i]);
                    }

                    continue;
                case '\'':
                    start = start < 0 ? i : start;
                    var close = line.IndexOf('\'', i + 1);
                    if (close < 0)
                    {
                        throw Unbalanced(line, i);
                    }

                    word.Append(line, i + 1, close - i - 1);
                    i = close;
                    continue;
                case '"':
                    start = start < 0 ? i : start;
                    i = DoubleQuoted(line, i, word);
                    continue;
                case '$' or '`':
                    throw ShellSyntax(line, i);
                case '|' or ';' or '&' or '<' or '>' or '(' or ')':
                    throw ShellSyntax(line, i);
                default:
                    start = start < 0 ? i : start;
                    word.Append(c);
                    continue;
            }
        }

        End();
        return words;
    }

    /// <summary>Inside double quotes a backslash escapes only $ ` " \ and newline; $ and ` would expand, so they are refused.</summary>
    private static int DoubleQuoted(string line, int open, StringBuilder word)
    {
        for (var i = open + 1; i < line.Length; i++)
        {
            switch (line[i])
            {
                case '"':
                    return i;
                case '\\' when i + 1 < line.Length && line[i + 1] is '$' or '`' or '"' or '\\':
                    word.Append(line[++i]);
                    break;
                case '\\' when i + 1 < line.Length && line[i + 1] == '\n':
                    i++;
                    break;
                case '$' or '`':
                    throw ShellSyntax(line, i);
                default:
                    word.Append(line[i]);
                    break;
            }
        }

        throw Unbalanced(line, open);
    }

    private static QemuNetException Unbalanced(string line, int open)
    {
        var rest = line[open..];
        var token = rest.Length > 40 ? rest[..40] + "…" : rest;
        return new QemuNetException("CommandLineQuoteUnbalanced", QemuNetErrorCategory.InvalidArgument, token,
            $"At column {open + 1}, the quote {line[open]} is never closed: {token}",
            $"Close the {(line[open] == '\'' ? "single" : "double")} quote, or escape it with a backslash.");
    }

    private static QemuNetException ShellSyntax(string line, int at)
    {
        var end = at + 1;
        while (end < line.Length && !char.IsWhiteSpace(line[end]))
        {
            end++;
        }

        var token = line[at..end];
        return new QemuNetException("CommandLineShellSyntax", QemuNetErrorCategory.InvalidArgument, token,
            $"At column {at + 1}, '{token}' needs a shell to mean anything (an expansion, a pipe or a redirection); the line is read, never run.",
            "Expand it first (e.g. put the variable's value in the line), or pass the arguments as an array with -ArgumentList.");
    }
}
