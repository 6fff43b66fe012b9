namespace Wrapper.IntegrationTests;

/// <summary>A simulator records a request (its outcome counter) when its side of the request has ended, which for a
/// dropped or abandoned connection can be after the client has moved on: wait for the record before asserting on it.</summary>
internal static class SimulatorRecords
{
    /// <summary>Waits (at most 10 s; the bound only ends a broken run) until <paramref name="recorded"/> holds.</summary>
    public static async Task WaitUntilAsync(Func<bool> recorded)
    {
        var until = DateTime.UtcNow.AddSeconds(10);
        while (!recorded())
        {
            if (DateTime.UtcNow > until)
            {
                Assert.Fail("The simulator did not record the expected request outcome within 10 s.");
            }

            await Task.Delay(20);
        }
    }
}
