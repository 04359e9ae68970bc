using System.Globalization;
using System.IO.Hashing;

namespace ForgetPredict.Data.Formats;

/// <summary>
/// A read-only view of a stream that hashes every byte read (CRC-32, as zip and gzip store it) so the reader can check the
/// content against the checksum its container records: a zip entry's directory record once the reader has consumed it
/// (<see cref="Verify"/>), or a gzip trailer the moment the content ends (<paramref name="atEnd"/>, given the CRC-32 and
/// the number of bytes read, throws when they disagree).
/// </summary>
/// <param name="inner">The content; disposed with this stream.</param>
/// <param name="atEnd">Called once, when a read first finds the content's end.</param>
/// <param name="damaged">What a decompressor's <see cref="InvalidDataException"/> becomes (null: it passes as it is).</param>
/// <param name="limit">The most bytes the content can hold, when known exactly (null: unknown).</param>
/// <param name="pastLimit">What is thrown, before the bytes are handed on, when a read takes the content past <paramref name="limit"/>.</param>
internal sealed class CrcCheckedStream(Stream inner, Action<uint, long>? atEnd = null, Func<InvalidDataException, Exception>? damaged = null,
    long? limit = null, Func<Exception>? pastLimit = null) : Stream
{
    private readonly Crc32 _crc = new();
    private long _read;
    private bool _ended;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    /// <summary>Reads what the consumer left (at most <paramref name="maxRemaining"/> bytes) and throws when the CRC-32
    /// of the whole content differs from <paramref name="expected"/>.</summary>
    /// <exception cref="ForgettingDataException">The content is longer than declared or its CRC-32 differs.</exception>
    public void Verify(uint expected, long maxRemaining, string sourceName, string entryName)
    {
        var buffer = new byte[8192];
        long drained = 0;
        int read;
        while ((read = Read(buffer, 0, buffer.Length)) > 0)
        {
            drained += read;
            if (drained > maxRemaining)
            {
                throw new ForgettingDataException(sourceName, $"entry '{entryName}' holds more bytes than its directory record declares; the archive is damaged. Save it again with np.savez.", location: $"entry '{entryName}'");
            }
        }

        var actual = _crc.GetCurrentHashAsUInt32();
        if (actual != expected)
        {
            throw new ForgettingDataException(sourceName, string.Create(CultureInfo.InvariantCulture,
                $"entry '{entryName}' has CRC-32 {actual:x8} but the archive records {expected:x8}; its bytes were damaged after it was written (numpy refuses it too). Save it again with np.savez."), location: $"entry '{entryName}'");
        }
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        int read;
        try
        {
            read = inner.Read(buffer);
        }
        catch (InvalidDataException e) when (damaged is not null)
        {
            throw damaged(e);
        }

        _crc.Append(buffer[..read]);
        _read += read;
        if (_read > limit && pastLimit is not null)
        {
            throw pastLimit();
        }

        if (read == 0 && buffer.Length > 0 && !_ended)
        {
            _ended = true;
            atEnd?.Invoke(_crc.GetCurrentHashAsUInt32(), _read);
        }

        return read;
    }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            inner.Dispose();
        }

        base.Dispose(disposing);
    }
}
