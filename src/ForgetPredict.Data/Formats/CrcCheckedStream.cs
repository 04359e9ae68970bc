using System.Globalization;
using System.IO.Hashing;

namespace ForgetPredict.Data.Formats;

/// <summary>A read-only view of a zip entry's content that hashes every byte read (CRC-32, as zip stores it) so the
/// reader can check the entry against its directory record once it has consumed it.</summary>
internal sealed class CrcCheckedStream(Stream inner) : Stream
{
    private readonly Crc32 _crc = new();

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
        var read = inner.Read(buffer);
        _crc.Append(buffer[..read]);
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
