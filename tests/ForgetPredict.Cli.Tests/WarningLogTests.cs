namespace ForgetPredict.Cli.Tests;

public class WarningLogTests
{
    // Counts the writes it is given (not the calls a StringWriter makes to itself), to show each reaches the error stream as one write.
    private sealed class CountingWriter : StringWriter
    {
        private int _depth;

        public int Writes { get; private set; }

        public override void Write(char value) => Count(() => base.Write(value));

        public override void Write(string? value) => Count(() => base.Write(value));

        public override void Write(char[] buffer, int index, int count) => Count(() => base.Write(buffer, index, count));

        public override void Write(ReadOnlySpan<char> buffer)
        {
            var copy = buffer.ToArray();
            Count(() => base.Write(copy, 0, copy.Length));
        }

        public override void WriteLine(string? value) => Count(() => base.WriteLine(value));

        private void Count(Action write)
        {
            Writes += _depth == 0 ? 1 : 0;
            _depth++;
            write();
            _depth--;
        }
    }

    [Fact]
    public void Warnings_AreKeptWithoutTheirPrefix_AndEverythingPassesOnUnchanged_OneWriteEach()
    {
        // Given: an error stream, and lines written whole, in pieces, as characters, with Windows line ends, and not warnings.
        var inner = new CountingWriter { NewLine = "\n" };
        var log = new WarningLog(inner);

        // When
        log.WriteLine("warning: whole line");
        log.Write("warn");
        log.Write("ing: in ".ToCharArray(), 0, 8);
        log.Write("pieces\r\n".AsSpan());
        log.WriteLine("error: not a warning");
        log.Write("  warning: indented is not one\n");
        log.Write('x');
        log.Write('\n');
        log.Write("warning: unfinished");

        // Then: the two complete warning lines are kept, in order; the text reached the stream as written, one write per write.
        Assert.Equal(["whole line", "in pieces"], log.Warnings);
        Assert.Equal("warning: whole line\nwarning: in pieces\r\nerror: not a warning\n  warning: indented is not one\nx\nwarning: unfinished", inner.ToString());
        Assert.Equal(9, inner.Writes);
    }
}
