namespace Woven.Overlay;

/// <summary>
/// What went over one link: sealed frames and their bytes as they travel (header and tag included, a relay's tunnel
/// header not). Updated under the overlay's lock where frames are sealed and opened; read through a snapshot.
/// </summary>
public struct LinkTraffic
{
    public long PacketsIn { get; private set; }

    public long PacketsOut { get; private set; }

    public long BytesIn { get; private set; }

    public long BytesOut { get; private set; }

    internal void Sent(int bytes)
    {
        PacketsOut++;
        BytesOut += bytes;
    }

    internal void Received(int bytes)
    {
        PacketsIn++;
        BytesIn += bytes;
    }
}
