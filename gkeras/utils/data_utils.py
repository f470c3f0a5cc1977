"""Sequence: an indexable source of batches for the *_generator methods."""


class Sequence:
    """Base class for batch sources: implement __getitem__(index) and __len__()."""

    def __getitem__(self, index):
        raise NotImplementedError

    def __len__(self):
        raise NotImplementedError

    def on_epoch_end(self):
        """Called at the end of every epoch; override to reshuffle."""

    def __iter__(self):
        for index in range(len(self)):
            yield self[index]
