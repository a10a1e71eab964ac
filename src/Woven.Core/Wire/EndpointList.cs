using System.Net;

namespace Woven.Wire;

/// <summary>A count byte followed by that many endpoints; at most <see cref="MaxCount"/>.</summary>
public static class EndpointList
{
    public const int MaxCount = 8;

    public static int Size(IReadOnlyList<IPEndPoint> endpoints)
    {
        int size = 1;
        for (int i = 0; i < endpoints.Count; i++) size += SpanWriter.EndpointSize(endpoints[i]);
        return size;
    }

    public static void Write(ref SpanWriter writer, IReadOnlyList<IPEndPoint> endpoints)
    {
        if (endpoints.Count > MaxCount) throw new ArgumentException($"at most {MaxCount} endpoints", nameof(endpoints));
        writer.U8((byte)endpoints.Count);
        for (int i = 0; i < endpoints.Count; i++) writer.Endpoint(endpoints[i]);
    }

    public static IPEndPoint[] Read(ref SpanReader reader)
    {
        int count = reader.U8();
        if (count > MaxCount)
        {
            reader.Fail();
            return [];
        }
        if (count == 0) return [];
        var result = new IPEndPoint[count];
        for (int i = 0; i < count; i++)
        {
            var ep = reader.Endpoint();
            if (ep is null) return [];
            result[i] = ep;
        }
        return result;
    }
}
