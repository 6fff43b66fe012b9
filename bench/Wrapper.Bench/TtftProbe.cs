using System.Diagnostics;
using System.Net;
using System.Text;

namespace Wrapper.Bench;

/// <summary>Time to first token: one connection sending the streaming request again and again, timing each from
/// the send to the first server-sent event that carries text. Run beside wrk, it sees the loaded service.</summary>
public sealed class TtftProbe : IDisposable
{
    private readonly HttpClient _client = new(new SocketsHttpHandler
    {
        UseProxy = false,
        AutomaticDecompression = DecompressionMethods.None,
        MaxConnectionsPerServer = 1,
        PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
    })
    {
        Timeout = TimeSpan.FromSeconds(30),
    };

    /// <summary>Requests sent (the counters divide by wrk's requests plus these).</summary>
    public int Sent { get; private set; }

    /// <summary>Sends the request until <paramref name="cancellationToken"/> fires; returns each time to first token in ms.</summary>
    public async Task<List<double>> RunAsync(string baseUrl, BenchRequest request, CancellationToken cancellationToken)
    {
        var samples = new List<double>();
        while (!cancellationToken.IsCancellationRequested)
        {
            var ttft = await MeasureOnceAsync(baseUrl, request, cancellationToken);
            if (ttft is { } ms)
            {
                samples.Add(ms);
            }
        }

        return samples;
    }

    /// <summary>One request: the time to the first text-carrying event, or null when there was none (or it was cancelled).</summary>
    public async Task<double?> MeasureOnceAsync(string baseUrl, BenchRequest request, CancellationToken cancellationToken)
    {
        using var message = new HttpRequestMessage(HttpMethod.Post, new Uri(new Uri(baseUrl), request.Path))
        {
            Content = new StringContent(request.Body, Encoding.UTF8, "application/json"),
        };
        foreach (var (name, value) in request.Headers)
        {
            message.Headers.TryAddWithoutValidation(name, value);
        }

        Sent++;
        var clock = Stopwatch.StartNew();
        try
        {
            using var response = await _client.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            if (!response.IsSuccessStatusCode)
            {
                return null;
            }

            await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
            using var reader = new StreamReader(stream, Encoding.UTF8);
            double? first = null;
            while (await reader.ReadLineAsync(cancellationToken) is { } line)
            {
                if (first is null && line.StartsWith("data:", StringComparison.Ordinal) && Conversation.ContentOf(line[5..]) is { Length: > 0 })
                {
                    first = clock.Elapsed.TotalMilliseconds;
                }
            }

            return first;
        }
        catch (OperationCanceledException)
        {
            return null;
        }
        catch (HttpRequestException)
        {
            return null;
        }
    }

    public void Dispose() => _client.Dispose();
}
