namespace Wrapper.Api.Streaming;

/// <summary>The flush both event streams (<see cref="ServerSentEventStream{TUpdate}"/> and the OpenAI-compatible one)
/// make while their next update is on its way.</summary>
internal static class StreamFlush
{
    /// <summary>Flushes while the next update is on its way; if the flush fails (the client left), waits for that
    /// update to settle first, so that the enumerator is never disposed while it is still moving.</summary>
    public static async Task FlushBeforeAsync(HttpResponse response, ValueTask<bool> next, CancellationToken cancellationToken)
    {
        try
        {
            await response.BodyWriter.FlushAsync(cancellationToken);
        }
        catch
        {
            try
            {
                await next;
            }
            catch (Exception)
            {
                // Whatever that update did, the flush's failure is the one to report.
            }

            throw;
        }
    }
}
