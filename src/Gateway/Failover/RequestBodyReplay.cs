using Microsoft.AspNetCore.Http.Features;

namespace Wrapper.Gateway.Failover;

/// <summary>Makes the request body readable again for another backend: buffered in memory (spilling to a
/// temporary file past 64 KiB) as it is first sent.</summary>
public static class RequestBodyReplay
{
    private const int MemoryThreshold = 64 * 1024;

    /// <summary>Prepares the body and returns true when it can be sent again: no body, or one of at most
    /// <paramref name="maxBytes"/>. A body of unknown length (chunked) is read first, to learn its size.</summary>
    public static async Task<bool> PrepareAsync(HttpContext context, long maxBytes)
    {
        var request = context.Request;
        if (context.Features.Get<IHttpRequestBodyDetectionFeature>() is { CanHaveBody: false })
        {
            return true;
        }

        if (request.ContentLength is { } length)
        {
            if (length > maxBytes)
            {
                return false;
            }

            request.EnableBuffering(MemoryThreshold);
            return true;
        }

        request.EnableBuffering(MemoryThreshold);
        var buffer = new byte[16 * 1024];
        long total = 0;
        int read;
        while (total <= maxBytes && (read = await request.Body.ReadAsync(buffer, context.RequestAborted)) > 0)
        {
            total += read;
        }

        request.Body.Position = 0;
        return total <= maxBytes;
    }

    /// <summary>Rewinds the body for the next backend.</summary>
    public static void Rewind(HttpContext context)
    {
        if (context.Request.Body.CanSeek)
        {
            context.Request.Body.Position = 0;
        }
    }
}
