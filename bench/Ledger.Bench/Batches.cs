using System.Text;

namespace Ledger.Bench;

/// <summary>Pre-encoded CloudEvents batches, so the timed loop only sends bytes.</summary>
public static class Batches
{
    public static byte[][] Build(string source, int events, int batchSize, int customers, DateTimeOffset time)
    {
        var batches = new byte[(events + batchSize - 1) / batchSize][];
        var stamp = time.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ");
        for (var b = 0; b < batches.Length; b++)
        {
            var text = new StringBuilder(batchSize * 340).Append('[');
            for (var i = b * batchSize; i < Math.Min(events, (b + 1) * batchSize); i++)
            {
                if (i > b * batchSize) text.Append(',');
                text.Append("{\"specversion\":\"1.0\",\"type\":\"ai.usage\",\"source\":\"").Append(source)
                    .Append("\",\"id\":\"evt-").Append(i).Append("\",\"subject\":\"customer-").Append(i % customers)
                    .Append("\",\"time\":\"").Append(stamp)
                    .Append("\",\"datacontenttype\":\"application/json\",\"data\":{\"model\":\"gpt-4o\",\"mode\":\"realtime\",\"input_tokens\":")
                    .Append(1000 + i % 977).Append(",\"output_tokens\":").Append(200 + i % 311)
                    .Append(",\"cached_input_tokens\":").Append(i % 5 == 0 ? 512 : 0).Append("}}");
            }
            batches[b] = Encoding.UTF8.GetBytes(text.Append(']').ToString());
        }
        return batches;
    }
}
